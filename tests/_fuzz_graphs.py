"""Shared by test_fuzz, test_catalogue and test_soak (issue #10): case counters printed in pytest's
terminal summary, so that CI's log says how much was compared ("fuzz: 2000 cases compared ...").

Each module calls ``counts(request, "fuzz")`` (a dict it increments) from a fixture; the first call
registers a tiny plugin whose ``pytest_terminal_summary`` prints every section that ran. No conftest
is involved: the plugin is registered on the running config.
"""
COUNTS = {}
_PLUGIN_NAME = "autograd-lab-case-counts"


class _Reporter:
    def pytest_terminal_summary(self, terminalreporter):
        if not COUNTS:
            return
        terminalreporter.section("autograd_lab case counts", sep="-")
        for section, c in COUNTS.items():
            terminalreporter.write_line(describe(section, c))


def describe(section, c):
    head = {"fuzz": "cases compared", "catalogue": "cases compared", "soak": "checks run"}.get(section, "")
    main = c.get("cases", 0)
    rest = ", ".join(f"{k}={v}" for k, v in c.items() if k != "cases")
    return f"{section}: {main} {head}" + (f" ({rest})" if rest else "")


def counts(config, section):
    """The counter dict of ``section`` (created on first use); registers the summary printer."""
    pm = config.pluginmanager
    if not pm.has_plugin(_PLUGIN_NAME):
        pm.register(_Reporter(), _PLUGIN_NAME)
    return COUNTS.setdefault(section, {"cases": 0})
