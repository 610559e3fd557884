// Links the one-header translation units; building it is the test.
#include <cstdio>
int main() {
  std::puts("every public header compiles on its own");
  return 0;
}
