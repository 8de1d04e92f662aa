#include <gtest/gtest.h>

#include <string>

#include "switchyard/providers/aipkit/chat_page.hpp"

using switchyard::providers::aipkit::max_bot_config_bytes;
using switchyard::providers::aipkit::max_page_bots;
using switchyard::providers::aipkit::read_chat_page;

namespace {

/// A container as WordPress renders it: the JSON escaped by esc_attr().
std::string container(const std::string& id, const std::string& escaped_config, const std::string& extra = "") {
    return "<div class=\"aipkit_chat_container\" id=\"aipkit_chat_container_" + id + "\"" + extra + " data-config=\"" +
           escaped_config + "\"><div class=\"aipkit_chat_header\">x</div></div>";
}

std::string page(const std::string& body) {
    return "<!DOCTYPE html><html><head><title>Chat</title></head><body>" + body + "</body></html>";
}

} // namespace

TEST(ChatPage, ReadsEveryContainerThroughItsHtmlEntities) {
    const std::string first =
        "{&quot;nonce&quot;:&quot;a1b2c3d4e5&quot;,&quot;botId&quot;:&quot;25865&quot;,&quot;postId&quot;:261,"
        "&quot;ajaxUrl&quot;:&quot;https:\\/\\/chatgptfree.ai\\/wp-admin\\/admin-ajax.php&quot;,"
        "&quot;provider&quot;:&quot;OpenAI&quot;,&quot;model&quot;:&quot;gpt-4o-mini&quot;,"
        "&quot;greeting&quot;:&quot;Say \\&quot;hi\\&quot; &amp; I&#039;ll &lt;answer&gt;&quot;,"
        "&quot;allowWebSearchTool&quot;:&quot;1&quot;,&quot;enableOpenAIConversationState&quot;:true}";
    // Numeric entities and a bot id given as a number work as well as named ones.
    const std::string second =
        "{&#34;nonce&#34;:&#x22;a1b2c3d4e5&#x22;,&#34;botId&#34;:25874,&#34;provider&#34;:&#34;Google&#34;,"
        "&#34;model&#34;:&#34;gemini-2.5-flash&#34;,&#34;allowWebSearchTool&#34;:0}";
    const auto bots = read_chat_page(
        page("<main>" + container("25865", first) + "<p>text</p><section>" + container("25874", second) + "</section></main>"));
    ASSERT_EQ(bots.size(), 2u);
    EXPECT_EQ(bots[0].bot_id, "25865");
    EXPECT_EQ(bots[0].nonce, "a1b2c3d4e5");
    EXPECT_EQ(bots[0].post_id, "261");
    EXPECT_EQ(bots[0].provider, "OpenAI");
    EXPECT_EQ(bots[0].model, "gpt-4o-mini");
    EXPECT_TRUE(bots[0].web_search);
    EXPECT_TRUE(bots[0].openai_conversation_state);
    EXPECT_EQ(bots[1].bot_id, "25874");
    EXPECT_EQ(bots[1].model, "gemini-2.5-flash");
    EXPECT_FALSE(bots[1].web_search);
    EXPECT_FALSE(bots[1].openai_conversation_state);
}

TEST(ChatPage, MissingAttributesAndBrokenConfigsAreSkipped) {
    const std::string ok = "{&quot;botId&quot;:&quot;7&quot;,&quot;model&quot;:&quot;m&quot;}";
    const auto bots =
        read_chat_page(page("<div id=\"aipkit_chat_container_1\"></div>"                        // no data-config
                            + container("2", "{not json") + container("3", "[1,2]")             // not an object
                            + container("4", "{&quot;botId&quot;:&quot;../etc&quot;}")          // not a bot id
                            + "<div id=\"other_container_5\" data-config=\"" + ok + "\"></div>" // not AIPKit's
                            + container("7", ok) + container("7", ok)                           // the same bot twice
                            + container("8", "{&quot;model&quot;:&quot;from-the-id&quot;}")));  // the id names the bot
    ASSERT_EQ(bots.size(), 2u);
    EXPECT_EQ(bots[0].bot_id, "7");
    EXPECT_EQ(bots[0].nonce, "");
    EXPECT_EQ(bots[1].bot_id, "8");
    EXPECT_EQ(bots[1].model, "from-the-id");
}

TEST(ChatPage, NotAChatPageHasNoBots) {
    EXPECT_TRUE(read_chat_page("").empty());
    EXPECT_TRUE(read_chat_page("0").empty());
    EXPECT_TRUE(
        read_chat_page("<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>").empty());
    EXPECT_TRUE(read_chat_page(std::string("\0\xff\xfe<div", 7)).empty());
    // Unclosed markup still yields the container the parser recovers.
    const auto bots = read_chat_page("<div id='aipkit_chat_container_9' data-config='{\"botId\":\"9\"}'><p><span>");
    ASSERT_EQ(bots.size(), 1u);
    EXPECT_EQ(bots[0].bot_id, "9");
}

TEST(ChatPage, HostileSizesAreBounded) {
    // Far more containers than a page has: the first max_page_bots are read.
    std::string many;
    for (std::size_t i = 1; i <= max_page_bots + 50; ++i)
        many += container(std::to_string(i), "{&quot;model&quot;:&quot;m" + std::to_string(i) + "&quot;}");
    EXPECT_EQ(read_chat_page(page(many)).size(), max_page_bots);

    // A data-config beyond its bound is skipped, not parsed.
    const std::string huge =
        "{&quot;botId&quot;:&quot;1&quot;,&quot;pad&quot;:&quot;" + std::string(max_bot_config_bytes, 'x') + "&quot;}";
    EXPECT_TRUE(read_chat_page(page(container("1", huge))).empty());

    // Nesting as deep as a real page builder's is walked; far deeper neither recurses out of
    // stack nor hides the containers before it.
    std::string nested;
    for (int i = 0; i < 200; ++i)
        nested += "<div>";
    EXPECT_EQ(read_chat_page(page(nested + container("5", "{&quot;model&quot;:&quot;deep&quot;}"))).size(), 1u);
    std::string deep = container("4", "{&quot;model&quot;:&quot;first&quot;}");
    for (int i = 0; i < 100'000; ++i)
        deep += "<div>";
    deep += container("5", "{&quot;model&quot;:&quot;deep&quot;}");
    const auto bots = read_chat_page(page(deep));
    ASSERT_GE(bots.size(), 1u);
    EXPECT_EQ(bots[0].bot_id, "4");

    // A JSON nesting bomb inside the attribute.
    const std::string bomb = std::string(20'000, '[') + std::string(20'000, ']');
    EXPECT_TRUE(read_chat_page(page(container("6", bomb))).empty());
}
