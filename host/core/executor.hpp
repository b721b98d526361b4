// The seam every node runs on. One node = one strand: every plugin callback of a node runs on it,
// one at a time, so plugins need no locks. Other threads reach a node only by posting to it.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace butter::host {

using IoContext = boost::asio::io_context;
using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

}  // namespace butter::host
