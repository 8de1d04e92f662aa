// The one translation unit that compiles Boost.Asio, Asio-SSL, Beast, Boost.URL and Boost.JSON
// (whose push parser scans upstream answers on the hot path; documents stay with nlohmann).
// Everything else includes their headers with *_SEPARATE_COMPILATION defined, so the
// heavy template bodies are built here once instead of in every file.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/url/src.hpp>
#include <boost/json/src.hpp>
