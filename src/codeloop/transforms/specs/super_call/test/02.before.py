class Node(Base):
    def __repr__(self):
        base = super(Node, self).__repr__()  # parent's
        return base
