"""Each page's queries, beside the page: ``home``, ``map``, ``territory``, ``network``,
``contracts``, ``data``; ``common`` and ``objectives`` for what several pages read. They run
through ``dashboard.db`` and only read the published file."""
