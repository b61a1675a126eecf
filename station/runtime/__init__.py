"""The running station: its threads and workers, and what they share.

``service`` wires everything (scanner readers -> the core worker's ``desk`` -> the event log; the print
worker; the sync link; the preview drawer) and runs with or without a screen. ``config`` reads the station's
TOML file, ``clock`` the machine's clocks, ``event_labels`` turns events into the labels they call
for, ``stop_signals`` turns Ctrl-C and SIGTERM into an event.
"""
