# Makes notebooks/ a package only so that pytest imports notebooks/conftest.py as
# "notebooks.conftest": a bare "conftest" module would shadow tests/conftest.py for the test
# modules that do `from conftest import ...`.
