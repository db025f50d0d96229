"""Every chart of the dashboard as a function of its filters: the figure, the rows behind it and
the words around it (:class:`dashboard.components.Chart`), built once per published file
(:func:`dashboard.components.per_publication`). The pages lay them out with their widgets; the
static embeds (:mod:`dashboard.embeds`) write the same charts at publish."""
