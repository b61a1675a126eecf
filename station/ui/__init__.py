"""The touchscreen app (Kivy). The only package that imports kivy; it is handed the headless station."""
