is_text = isinstance(s, str)
