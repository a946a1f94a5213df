while node.next is not None:
    node = node.next
