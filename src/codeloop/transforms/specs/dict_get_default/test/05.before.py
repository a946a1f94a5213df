if key in seen:
    count = counts[key]
else:
    count = 0
