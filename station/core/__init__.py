"""The pure domain: plain data in, plain data out. No I/O, no threads, no Kivy."""
