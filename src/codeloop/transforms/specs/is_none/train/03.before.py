while node.next != None:
    node = node.next
