// Everything a lesson uses: processes, sync primitives, queues, print/sleep/mark, and the lesson definition.
#pragma once

#include "forkscope/errors.hpp"
#include "forkscope/lesson.hpp"
#include "forkscope/lesson_api.hpp"
#include "forkscope/manager.hpp"
#include "forkscope/pipe.hpp"
#include "forkscope/pool.hpp"
#include "forkscope/process.hpp"
#include "forkscope/queue.hpp"
#include "forkscope/sync.hpp"
#include "forkscope/value.hpp"
