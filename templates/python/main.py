"""A minimal Python project: edit and run `python3 main.py`."""


def greet(name: str) -> str:
    return f"Hello, {name}!"


if __name__ == "__main__":
    print(greet("codesphere"))
