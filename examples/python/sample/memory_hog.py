# A hostile submission: allocates memory without bound (ends as memory-limit).
data = []
while True:
    data.append(bytearray(1 << 24))
