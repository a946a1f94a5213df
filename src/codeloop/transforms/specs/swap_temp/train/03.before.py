print(left, right)
swap = left
left = right
right = swap
print(left, right)
