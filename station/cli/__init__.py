"""The ``station`` command (click): one module per command group, all thin over the library.

``root`` holds the group and its options; this module attaches every command to it, so that
``station.cli:main`` is the whole command and no command module imports another.
"""

from station.cli.field import doctor_cmd, printer_setup_cmd, scanner
from station.cli.loading import manifest, operators, orders
from station.cli.printing import label, print_cmd, printer, printer_sim_cmd
from station.cli.records import events, scan_test, stock
from station.cli.root import main
from station.cli.run import run
from station.cli.setup import setup_cmd
from station.cli.sync import sync

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
