/* workspace: the naming rules of workspaces (reference nemo-intake.md section 10). */
#include "lib/model/workspace.h"

#include <string.h>

bool workspace_valid(const char *name)
{
	/* Reference section 10: ^[a-z](?!.*--)[a-z0-9\-@.+_]{1,62}(?<!-)$ */
	size_t n = name ? strlen(name) : 0;
	if (n < 2 || n > 63 || name[0] < 'a' || name[0] > 'z' || name[n - 1] == '-')
		return false;
	/* The filesystem's own directory when DATA is the root of a volume (ext4 makes it,
	 * mode 0700, root's): reserved, so no command takes it for a workspace. */
	if (!strcmp(name, "lost+found"))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			  c == '@' || c == '.' || c == '+' || c == '_';
		if (!ok || (c == '-' && name[i - 1] == '-'))
			return false;
	}
	return true;
}
