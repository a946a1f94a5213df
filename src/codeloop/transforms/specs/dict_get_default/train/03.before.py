if name in aliases:
    label = aliases[name]
else:
    label = name
print(label)
