warnings.warn("deprecated", DeprecationWarning)
