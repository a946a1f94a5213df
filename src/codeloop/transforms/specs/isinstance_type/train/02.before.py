is_text = type(s) == str
