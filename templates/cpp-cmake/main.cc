#include <iostream>
#include <string>

int main() {
  std::string name = "codesphere";
  std::cout << "Hello, " << name << "!\n";
  return 0;
}
