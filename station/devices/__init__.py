"""The station's hardware, each chosen by URI behind a small interface: ``scanners`` (serial, evdev,
wedge, stdin, replay) and ``printers`` (tcp, usb, cups, the spool, and a Zebra simulator to test against).
Neither imports the UI, the runtime or sync."""
