old = first
first = second
second = old
