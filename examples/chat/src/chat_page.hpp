// chat_page: the chat's web page (GET /chat), plain HTML and JavaScript compiled into the plugin.
#pragma once
#include <string_view>
namespace chat {
extern const std::string_view kPage;
extern const std::string_view kStyle;   // GET /chat/chat.css
extern const std::string_view kScript;  // GET /chat/chat.js
}  // namespace chat
