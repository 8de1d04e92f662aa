#pragma once
// A fresh SQLite path per call, in a per-process scratch directory, for the store tests.
#include <unistd.h>

#include <filesystem>
#include <string>

namespace switchyard::testing_support {

inline std::string temp_db() {
    static int n = 0;
    const auto dir = std::filesystem::temp_directory_path() / ("switchyard-store-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / ("db" + std::to_string(n++) + ".sqlite");
    std::filesystem::remove(path);
    return path.string();
}

} // namespace switchyard::testing_support
