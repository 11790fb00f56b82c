#include <iostream>

int main() {
    std::cout << "molvault\n";
    return 0;
}
