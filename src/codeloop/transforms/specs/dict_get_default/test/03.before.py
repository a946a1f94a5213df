if code in messages:
    text = messages[code]
else:
    text = default_text
