"""Same names and hierarchy as pyocd/core/exceptions.py in pyOCD 0.13.1."""


class Error(RuntimeError):
    pass


class ProbeError(Error):
    pass


class TransferError(ProbeError):
    pass


class TransferTimeoutError(TransferError):
    pass


class TransferFaultError(TransferError):
    def __init__(self, faultAddress=None, length=None):
        super(TransferFaultError, self).__init__(faultAddress)
        self.fault_address = faultAddress
        self.fault_length = length
