raise ValueError(f"bad size {size}")
