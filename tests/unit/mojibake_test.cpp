#include <gtest/gtest.h>

#include "switchyard/util/mojibake.hpp"

using switchyard::mojibake::repair;

TEST(Mojibake, RepairsDoubleEncodedText) {
    struct row {
        const char* broken;
        const char* fixed;
    };
    const row rows[] = {
        {"AquÃ­ va", "Aquí va"},   {"cafÃ© crÃ¨me", "café crème"}, {"itâ€™s", "it’s"}, // Windows-1252 right quote
        {"ðŸŽ‰ party", "🎉 party"},                                                     // a 4-byte sequence through Windows-1252
        {"Ã¼ber", "über"},
    };
    for (const auto& r : rows)
        EXPECT_EQ(repair(r.broken).value_or("<untouched>"), r.fixed) << r.broken;
}

TEST(Mojibake, NeverTouchesCorrectText) {
    for (const char* ok : {"plain ascii", "café", "naïve façade", "¡Hola!", "日本語のテキスト", "emoji 🎉", "Ã", "price: 5Â", "",
                           "mixed café and Ã©"})
        EXPECT_FALSE(repair(ok).has_value()) << ok;
}
