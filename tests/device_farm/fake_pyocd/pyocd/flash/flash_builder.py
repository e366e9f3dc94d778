class FlashFailure(RuntimeError):
    """As pyocd.flash.flash_builder.FlashFailure in 0.13.1."""
    pass
