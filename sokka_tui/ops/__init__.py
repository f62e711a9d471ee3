"""``sokka``: the console's reads and actions as a command line, for scripts and runbooks.

One module a job: ``main`` (arguments and exit codes), ``connect`` (which store,
opened how), ``output`` (tables, JSON, JSON lines), ``reads``, ``writes``,
``expired`` (revoke-expired), ``purge``, ``watch``, ``confirm``. Nothing here
imports Textual.
"""
