"""Scripted probes and targets behind the fake pyOCD API.

FAKE_PYOCD_SCENARIO picks the behaviour (default "healthy"):
  none             no probe connected
  healthy          probe FAKE0001; the result block (FAKE_PYOCD_BLOCK_HEX,
                   104 bytes) appears in RAM at the 3rd poll after resume
  busy             Session.open: ProbeError <- DeviceError <- USBError EBUSY
                   (how CMSIS-DAP over pyusb reports an interface claimed
                   by another process)
  access_denied    Session.open: USBError EACCES (no udev rule)
  dp_wait_stlink   polls raise ProbeError("STLink error (20): DP wait")
  dp_wait_cmsisdap polls raise TransferTimeoutError (WAIT past retries)
  transfer_fault   polls raise TransferFaultError
  lost             the 2nd poll raises ProbeError("USB Error: [Errno 19] No
                   such device ...") and the probe leaves the bus
  lost_io          the 2nd poll raises USBError EIO and the probe leaves the
                   bus (classified by re-enumerating, not by the message)
  never            the magic never appears
  hang_usb         the 2nd poll blocks forever (a wedged USB transfer)
  flash_fail       FlashBuilder.program raises FlashFailure
  generic_target   the board's flash is pyOCD's generic Flash_cortex_m
FAKE_PYOCD_LOG: file receiving one line per call (for assertions).
FAKE_PYOCD_TARGETS: comma-separated target types the fake knows
(default "cortex_m,stm32f439xi"); others raise KeyError like Board().
"""

import errno
import os
import time

import usb.core

from pyocd.core import exceptions
from pyocd.flash.flash_builder import FlashFailure
from pyocd.target.family.flash_cortex_m import Flash_cortex_m

MAGIC = b"MCRT"  # 0x5452434d little-endian


def scenario():
    return os.environ.get("FAKE_PYOCD_SCENARIO", "healthy")


def log(text):
    path = os.environ.get("FAKE_PYOCD_LOG")
    if path:
        with open(path, "a") as f:
            f.write(text + "\n")


def _gone_marker():
    path = os.environ.get("FAKE_PYOCD_LOG")
    return (path + ".gone") if path else None


class FakeProbe(object):
    def __init__(self, uid):
        self.unique_id = uid
        self.description = "Fake CMSIS-DAP"
        self.vendor_name = "fake"
        self.product_name = "probe"


def connected_probes(unique_id=None):
    if scenario() == "none":
        return []
    marker = _gone_marker()
    if marker and os.path.exists(marker):
        return []
    probes = [FakeProbe("FAKE0001")]
    if unique_id is not None:
        probes = [p for p in probes if unique_id.lower() in p.unique_id.lower()]
    return probes


def _unplug():
    marker = _gone_marker()
    if marker:
        open(marker, "w").close()


class FakeFlashBuilder(object):
    def __init__(self):
        self.chunks = []

    def add_data(self, addr, data):
        if addr < 0x08000000:
            raise Exception("Invalid flash address 0x%x is before flash start 0x%x"
                            % (addr, 0x08000000))
        self.chunks.append((addr, len(data)))

    def program(self, chip_erase=None, progress_cb=None, smart_flash=True, fast_verify=False):
        for addr, size in self.chunks:
            log("program 0x%08x %d" % (addr, size))
        if scenario() == "flash_fail":
            raise FlashFailure("flash verify failure at 0x08000000")


class FakeFlash(object):
    def get_flash_builder(self):
        return FakeFlashBuilder()


class FakeTarget(object):
    def __init__(self):
        self.ram = {}
        self.running = False
        self.polls = 0
        self.block_at = None

    def reset_stop_on_reset(self, software_reset=None):
        log("reset_stop_on_reset")
        self.running = False

    def write_memory_block8(self, addr, data):
        log("write 0x%08x %d" % (addr, len(data)))
        for i, b in enumerate(data):
            self.ram[addr + i] = b

    def resume(self):
        log("resume")
        self.running = True
        self.polls = 0

    def halt(self):
        log("halt")
        self.running = False

    def read_core_register(self, name):
        return 0x08000123

    def read_memory_block8(self, addr, size):
        s = scenario()
        if self.running:
            self.polls += 1
            if s == "dp_wait_stlink":
                raise exceptions.ProbeError("STLink error (20): DP wait")
            if s == "dp_wait_cmsisdap":
                raise exceptions.TransferTimeoutError()
            if s == "transfer_fault":
                raise exceptions.TransferFaultError(addr, size)
            if s == "lost" and self.polls >= 2:
                _unplug()
                raise exceptions.ProbeError(
                    "USB Error: [Errno 19] No such device (it may have been disconnected)")
            if s == "lost_io" and self.polls >= 2:
                _unplug()
                raise usb.core.USBError("Input/Output Error", error_code=-1, errno=errno.EIO)
            if s == "hang_usb" and self.polls >= 2:
                while True:
                    time.sleep(3600)
            if s in ("healthy",) and self.polls >= 3 and self.block_at is None:
                block = bytes.fromhex(os.environ.get("FAKE_PYOCD_BLOCK_HEX", ""))
                self.block_at = addr
                for i, b in enumerate(block):
                    self.ram[addr + i] = b
        return [self.ram.get(addr + i, 0) for i in range(size)]


class FakeBoard(object):
    def __init__(self, target_type):
        self.target_type = target_type
        self.target = FakeTarget()
        self.flash = (Flash_cortex_m(self.target) if scenario() == "generic_target"
                      else FakeFlash())


class Session(object):
    def __init__(self, probe, options=None, **kwargs):
        self.options = dict(options or {}, **kwargs)
        target = self.options.get("target_override") or "cortex_m"
        known = os.environ.get("FAKE_PYOCD_TARGETS", "cortex_m,stm32f439xi").split(",")
        if target not in known:
            raise KeyError("target '%s' not recognized" % target)
        self.probe = probe
        self.board = FakeBoard(target)
        log("session %s frequency=%s halt_on_connect=%s" % (
            target, self.options.get("frequency"), self.options.get("halt_on_connect")))

    def open(self):
        s = scenario()
        if s == "busy":
            try:
                raise usb.core.USBError("Resource busy", error_code=-6, errno=errno.EBUSY)
            except usb.core.USBError as exc:
                raise exceptions.ProbeError("Unable to open device") from exc
        if s == "access_denied":
            raise usb.core.USBError("Access denied (insufficient permissions)",
                                    error_code=-3, errno=errno.EACCES)
        log("open")

    def close(self):
        log("close")
