class Flash_cortex_m(object):
    """pyOCD's generic Cortex-M flash: every operation is unsupported."""

    def __init__(self, target):
        self.target = target

    def get_flash_builder(self):
        raise Exception("Unsupported flash operation on generic cortex_m")
