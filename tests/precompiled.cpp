// Nothing: the target that owns precompiled.h needs a source (tests/CMakeLists.txt).
