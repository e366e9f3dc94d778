"""A FAKE of the parts of pyOCD 0.13.1 that mcutune's bridge uses, for tests.

Not pyOCD and not hardware: it lets tests put the real bridge
(device_farm/pyocd/mcutune_pyocd_bridge.py) first on PYTHONPATH in front of
scripted probe behaviour, so the bridge's connect/flash/run logic and its
classification of pyOCD and pyusb exceptions run. The exception classes
mirror pyocd.core.exceptions of 0.13.1 (same names, same hierarchy); USB
errors are pyusb's real usb.core.USBError. See _fake.py for the scenarios.
"""
__version__ = "0.13.1-fake"
