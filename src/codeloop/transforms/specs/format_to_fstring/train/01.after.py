msg = f"Hello {name}"
