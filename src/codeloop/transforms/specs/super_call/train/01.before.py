class A(Base):
    def __init__(self):
        super(A, self).__init__()
