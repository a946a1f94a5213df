class A(Base):
    def __init__(self):
        super().__init__()
