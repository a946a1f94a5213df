label = aliases.get(name, name)
print(label)
