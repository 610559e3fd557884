// Written by fuzz/make_e2e_corpus.py: the fixed keys of the end-to-end corpus.
#pragma once

namespace e2e_keys {
inline constexpr const char* kw = R"({"kty":"oct","kid":"kw","k":"AAECAwQFBgcICQoLDA0ODw"})";
inline constexpr const char* dir = R"({"kty":"oct","kid":"dir","k":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"})";
inline constexpr const char* hs = R"({"kty":"oct","kid":"hs","k":"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8"})";
inline constexpr const char* ec = R"({"kty":"EC","crv":"P-256","x":"l_TqhxlIxmLqbiUbju138LgC1R4pAvRBI-P7kwJCwWw","y":"RsJugk8XG8g0pdiHJ5Tj6VszqhcwYwqE_y50FibY6cY","d":"camHa12uPJXfsRm7l5F-OTSk_5kXluDyYUQ960hY_jk","kid":"ec"})";
inline constexpr const char* es = R"({"kty":"EC","crv":"P-256","x":"kVN8q0uM1pWLTL3uY2hhAjj2xb9WfyD7mPMxvXXxLsI","y":"aV_Yj2qF8AV4Hlu1sCKbs7LaneZyqRFE4kAiCeiWlp4","d":"fSrzz1sEutoIPl3VMHHcokymbafwhAXx8NzvKn_elJg","kid":"es"})";
}  // namespace e2e_keys
