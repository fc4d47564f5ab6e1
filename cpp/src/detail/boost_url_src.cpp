// Boost.URL compiled into the engine once.
#include <boost/url/src.hpp>
