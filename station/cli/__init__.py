"""The ``station`` command (click): one module per command group, all thin over the library.

``root`` holds the group and its options; this module attaches every command to it, so that
``station.cli:main`` is the whole command and no command module imports another.
"""

import sys


def _quiet_interrupt(kind: type[BaseException], value: BaseException, tb: object) -> None:
    """A Ctrl-C that lands before or after a command's own handling (while Python imports the command,
    say) ends the command without a traceback; anything else is Python's usual report."""
    if issubclass(kind, KeyboardInterrupt):
        sys.stderr.write("Interrupted.\n")
        return
    sys.__excepthook__(kind, value, tb)  # type: ignore[arg-type]


sys.excepthook = _quiet_interrupt  # first, before the commands' imports

from station.cli.field import doctor_cmd, printer_setup_cmd, scanner  # noqa: E402
from station.cli.loading import manifest, operators, orders  # noqa: E402
from station.cli.printing import label, print_cmd, printer, printer_sim_cmd  # noqa: E402
from station.cli.records import events, scan_test, stock  # noqa: E402
from station.cli.root import main  # noqa: E402
from station.cli.run import run  # noqa: E402
from station.cli.setup import setup_cmd  # noqa: E402
from station.cli.sync import sync  # noqa: E402

for _command in (
    run,
    setup_cmd,
    events,
    scan_test,
    stock,
    manifest,
    orders,
    operators,
    sync,
    label,
    print_cmd,
    printer,
    printer_sim_cmd,
    scanner,
    doctor_cmd,
):
    main.add_command(_command)
printer.add_command(printer_setup_cmd)

__all__ = ["main"]
