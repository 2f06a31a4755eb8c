"""Load heaviside's pytest plugin for the examples' tests.

It provides the ``heaviside_runner`` fixture and the option
``--heaviside-through=inprocess|lambda``. An application of your own adds the
same line to its top-level ``conftest.py``.
"""

pytest_plugins = ["heaviside.testing"]
