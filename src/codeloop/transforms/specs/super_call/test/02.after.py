class Node(Base):
    def __repr__(self):
        base = super().__repr__()  # parent's
        return base
