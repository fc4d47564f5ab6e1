// Boost.JSON compiled into the engine once (header-only mode is not offered).
#include <boost/json/src.hpp>
