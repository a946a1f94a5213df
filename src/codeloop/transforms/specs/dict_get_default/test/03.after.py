text = messages.get(code, default_text)
