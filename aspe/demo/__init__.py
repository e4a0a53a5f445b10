"""The demo département and the scenarios it is written with.

``scenarios`` drives a département and a case's path through it, as people would, for the
demo, the tests and the benchmarks; ``departement`` writes the demo's thirty cases with it
(``load_demo``, what ``aspe demo`` and ``make run`` load). Neither is imported by the
running platform.
"""

from aspe.demo.departement import (
    LOGINS,
    VISIT_NOTES,
    DemoAccount,
    DemoInconsistent,
    DemoReport,
    SampleCase,
    load_demo,
)

__all__ = [
    "LOGINS",
    "VISIT_NOTES",
    "DemoAccount",
    "DemoInconsistent",
    "DemoReport",
    "SampleCase",
    "load_demo",
]
