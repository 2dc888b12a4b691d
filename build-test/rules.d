build-test/rules.o: engine/rules.c /usr/include/lua5.4/lauxlib.h \
 /usr/include/lua5.4/luaconf.h /usr/include/lua5.4/lua.h \
 /usr/include/lua5.4/lua.h /usr/include/lua5.4/lualib.h engine/buf.h \
 engine/rules.h engine/err.h engine/model.h engine/arena.h
/usr/include/lua5.4/lauxlib.h:
/usr/include/lua5.4/luaconf.h:
/usr/include/lua5.4/lua.h:
/usr/include/lua5.4/lua.h:
/usr/include/lua5.4/lualib.h:
engine/buf.h:
engine/rules.h:
engine/err.h:
engine/model.h:
engine/arena.h:
